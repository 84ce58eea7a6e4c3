"""One module per subcommand (the top layer): each turns a composed config into calls of the layers below
and prints or writes what the user asked for. cli.py dispatches to them."""
