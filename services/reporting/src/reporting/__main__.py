from reporting.main import main

main()
