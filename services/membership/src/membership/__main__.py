from membership.main import main

main()
