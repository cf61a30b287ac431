"""DRF plumbing of the API, one concern a module (the contract itself is in `contract/`)."""
