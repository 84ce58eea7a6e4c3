from viewmaker_cli.cli import main

main()
