"""What QuickBooks answered qbsync's last write of a record: the pages people open are served
from it (with balances that follow payments and change notifications), not from a read."""
