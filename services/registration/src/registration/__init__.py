"""Registration: workshops and delegates."""
