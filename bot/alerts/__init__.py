"""Near-real-time alerts on critical calls: rules, polling, exactly-once delivery."""
