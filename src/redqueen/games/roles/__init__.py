"""Role games: one model plays several roles, each role a seat of the game."""
