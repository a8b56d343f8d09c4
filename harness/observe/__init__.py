"""How the unit under test's visible state is read: simulation, command, operator, ZCL."""
