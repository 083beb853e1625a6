"""Platform adapters. Each module turns one platform's events into
IncomingMessage and sends OutgoingMessage; none decides business rules."""
