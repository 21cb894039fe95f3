from dindlint.cli import main

main()
