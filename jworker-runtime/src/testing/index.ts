// PLACEHOLDER: the test harness (progress issue) replaces this.
export {};
