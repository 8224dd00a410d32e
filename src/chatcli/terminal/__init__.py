"""Everything on the user's screen: prompt, REPL, commands, rendering, the one sink."""
