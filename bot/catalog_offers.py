"""What a wizard offers as buttons for a scope or a signal word: the connection's catalog,
most used first; an empty catalog is filled first by reading the calls once."""

from __future__ import annotations

from typing import Any, Final, Protocol

from bot.digest.model import ScopeKind
from bot.query.model import pick_labels
from bot.query.service import ConnectionInfo

OFFER_LIMIT: Final = 20


class CatalogSource(Protocol):
    """The part of CatalogRepo the wizards offer values from."""

    async def departments(self, connection_id: int, limit: int | None = None) -> list[Any]: ...

    async def operators(self, connection_id: int, limit: int | None = None) -> list[Any]: ...

    async def question_packs(self, connection_id: int, limit: int | None = None) -> list[Any]: ...

    async def signals(self, connection_id: int, limit: int | None = None) -> list[Any]: ...


class CatalogWarmer(Protocol):
    """CallService: reads every call once to learn the catalog."""

    async def warm_catalog(self, conn: ConnectionInfo) -> int: ...


class CatalogOffers:
    def __init__(self, catalog: CatalogSource | None, warmer: CatalogWarmer | None) -> None:
        self._catalog = catalog
        self._warmer = warmer

    async def scope(self, kind: ScopeKind, connection: ConnectionInfo) -> list[tuple[str, Any]]:
        """(label, value) choices for a scope of ``kind``."""
        entries = await self._scope(kind, connection.id)
        if not entries and self._warmer is not None:
            await self._warmer.warm_catalog(connection)
            entries = await self._scope(kind, connection.id)
        return entries

    async def signals(self, connection: ConnectionInfo) -> list[str]:
        if self._catalog is None:
            return []
        entries = await self._catalog.signals(connection.id, OFFER_LIMIT)
        if not entries and self._warmer is not None:
            await self._warmer.warm_catalog(connection)
            entries = await self._catalog.signals(connection.id, OFFER_LIMIT)
        return [entry.word for entry in entries]

    async def _scope(self, kind: ScopeKind, connection_id: int) -> list[tuple[str, Any]]:
        catalog = self._catalog
        if catalog is None:
            return []
        match kind:
            case ScopeKind.DEPARTMENT:
                departments = await catalog.departments(connection_id, OFFER_LIMIT)
                return [
                    (f"{entry.name} ({entry.id})" if entry.name else str(entry.id), entry.id)
                    for entry in departments
                ]
            case ScopeKind.OPERATOR:
                operators = await catalog.operators(connection_id, OFFER_LIMIT)
                picks = [entry.pick for entry in operators]
                # The value is the person (id and name), so the scope is exactly them.
                return list(zip(pick_labels(picks), [pick.dump() for pick in picks], strict=True))
            case ScopeKind.PACK:
                packs = await catalog.question_packs(connection_id, OFFER_LIMIT)
                return [
                    (f"{entry.title} ({entry.id})" if entry.title else str(entry.id), entry.id)
                    for entry in packs
                ]
        return []
