"""Choosing a technique per image: question rules, the trained router, image analysis, policy."""
