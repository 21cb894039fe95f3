from dindlint.entry import run

if __name__ == "__main__":  # not when a 'spawn' worker process imports the main module
    run()
