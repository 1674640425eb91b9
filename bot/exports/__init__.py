"""Exports run in a worker process so the bot keeps answering while a file is written."""
