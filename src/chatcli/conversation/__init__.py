"""The I/O-free core: the bot and its turns, the wire decoder, the reasoning split."""
