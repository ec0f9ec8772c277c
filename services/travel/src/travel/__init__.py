"""Travel: quotes, tickets and itineraries for sponsored delegates."""
