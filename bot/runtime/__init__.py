"""What keeps work alive: the inbox, the outbox, the scheduler with its leader lock, and logging."""
