"""Pure rules of reception: VINs, slots, the repair-order state machine, money and comebacks."""
