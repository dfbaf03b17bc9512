// PLACEHOLDER: the jworker CLI (operations issue) replaces this.
export {};
