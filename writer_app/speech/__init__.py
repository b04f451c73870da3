"""Read aloud: the platform's voice (voice.py), the sound card (output.py) and a player
that knows which sentence is being heard (player.py). No Qt."""
