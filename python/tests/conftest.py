# pytest configuration of python/tests: scripts/ holds user-style programs that the tests run as scripts, not test modules.
collect_ignore = ["scripts"]
