"""Pure rules of the system: money, months, the split, the errors. No AWS, no storage."""
