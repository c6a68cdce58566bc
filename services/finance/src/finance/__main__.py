from finance.main import main

main()
