import Testing

/// Every suite that talks to a live server runs one test at a time: the blocking test client
/// occupies a cooperative-pool thread, and handlers that answer from tasks need another one free.
@Suite(.serialized) enum LiveServerTests {}
