"""plansearch web app and search library."""
