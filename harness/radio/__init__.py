"""The coordinator session: zigpy-znp with the Smart Energy fixes, the tap, send/expect."""
