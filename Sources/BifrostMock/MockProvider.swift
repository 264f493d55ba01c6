// Filled by the mock provider work.
