"""SQLite storage: the connection, migrations, repositories and FSM storage."""

from storage.alerts import AlertRepo
from storage.catalog import (
    CatalogObservation,
    CatalogRepo,
    DepartmentEntry,
    OperatorEntry,
    QuestionPackEntry,
    SignalEntry,
)
from storage.chats import ChatRepo, ChatSettings
from storage.connections import Connection, ConnectionRepo
from storage.db import Database
from storage.digests import DigestRepo
from storage.fsm import SQLiteStorage
from storage.migrations import MIGRATIONS, SchemaTooNew
from storage.operator_lookups import OperatorLookupRepo
from storage.shown_queries import ShownQuery, ShownQueryRepo

__all__ = [
    "MIGRATIONS",
    "AlertRepo",
    "CatalogObservation",
    "CatalogRepo",
    "ChatRepo",
    "ChatSettings",
    "Connection",
    "ConnectionRepo",
    "Database",
    "DepartmentEntry",
    "DigestRepo",
    "OperatorEntry",
    "OperatorLookupRepo",
    "QuestionPackEntry",
    "SQLiteStorage",
    "SchemaTooNew",
    "ShownQuery",
    "ShownQueryRepo",
    "SignalEntry",
]
