"""Citizens in control of their data: disclosure history, consent withdrawal, export."""
