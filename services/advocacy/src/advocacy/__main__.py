from advocacy.main import main

main()
