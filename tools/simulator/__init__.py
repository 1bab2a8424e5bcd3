"""The workshop-day simulator: plays sites' working day through the public REST APIs, as the devices would."""
