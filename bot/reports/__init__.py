"""Pure report functions, free of Telegram: statistics (``stats``), HTML texts
(``render``, built on ``markup``), exports (``export``) and charts (``chart``)."""
