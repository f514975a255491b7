"""What every addition shares: settings, the lock, the install helper, errors, validation, time,
paging and invoking our functions. Nothing here knows a particular service."""
