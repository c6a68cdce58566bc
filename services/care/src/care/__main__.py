from care.main import main

main()
