"""The bot's features, one extension per file, each ending in `async def setup(bot)`."""
