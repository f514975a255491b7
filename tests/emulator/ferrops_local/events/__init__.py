"""EventBridge: events the additions emit (Config's compliance changes) reach the Lambda targets
of every enabled rule they match, as EventBridge would deliver them."""
