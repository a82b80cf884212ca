"""PSP catalog, shipping methods, carriers, synced store products and product mappings."""
