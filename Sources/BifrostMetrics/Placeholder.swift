// Filled by the metrics work.
