from echosphere.cli import main

main()
