"""Customer satisfaction figures: follow-ups (回访), scores by category (CSI), weak items and complaints."""
