"""A local emulator of Discord's REST API and gateway, for tests over real sockets."""

from emulator.server import DiscordEmulator

__all__ = ["DiscordEmulator"]
