"""Package marker for the stack modules of the response."""
