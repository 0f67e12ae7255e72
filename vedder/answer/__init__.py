"""Answering questions: the offline answerer, the LLM agent, and what they return."""
