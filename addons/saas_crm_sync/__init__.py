# The models come with the engine's provider contract; until then the addon is its lib/ (HubSpot
# and Salesforce payloads read as plain Python) and the tests of it.
