"""Great Expectations suites and the publish gate."""
