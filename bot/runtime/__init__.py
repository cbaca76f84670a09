"""What keeps work alive: inbox, outbox, scheduler and leader lock, worker pool, stored conversations, logging."""
