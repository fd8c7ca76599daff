from xiangzhi.cli import main

main()
