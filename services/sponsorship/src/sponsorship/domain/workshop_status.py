"""A workshop's statuses that stop sponsorship deciding places."""

# Cancelled or deferred: no place is allocated, promoted or found short; what was granted is ended or kept aside.
INACTIVE = frozenset({"cancelled", "deferred"})
# Held: it took place and staff closed it; nothing is allocated, promoted or found short any more.
CLOSED = frozenset({"held"})
