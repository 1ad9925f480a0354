"""The staff workbench (工作台): server-rendered pages over the five services, with the signed-in user's token."""
