print("bifrost-mock: not built yet")
